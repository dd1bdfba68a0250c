/*
 * The access-control bootstrap: a Lambda, the domain's fine-grained access
 * control master, that creates the internal admin user and maps the writer
 * and reader roles. Its fixed settings, shared with its tests.
 */

/** The Lambda that sets up fine-grained access control, bundled from source at deploy time. */
export const BOOTSTRAP_ENTRY = "apps/opensearch-bootstrap/src/handler.ts";

/** Internal user a human signs in with; the bootstrap Lambda creates it with the secret's password. */
export const MASTER_USER_NAME = "admin";

/**
 * The bootstrap's Lambda timeout, the most Lambda allows: a new domain can
 * refuse its master for minutes, and the run must outlast its retries.
 */
export const BOOTSTRAP_TIMEOUT_SECONDS = 900;

/** How long one bootstrap run retries refused calls; the rest of the timeout is headroom to report the failure. */
export const BOOTSTRAP_RETRY_SECONDS = 600;
