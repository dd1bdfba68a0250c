/** Longest life AMG gives a service account token: 30 days. */
export const TOKEN_SECONDS_TO_LIVE = 30 * 24 * 3600;

/**
 * Pulumi types of the token's resources, for the scheduled rotation
 * (.github/workflows/rotate-grafana-token.yml): it replaces the `replace`
 * resources and updates only the `target` ones, without a refresh, so it
 * works however old the current token is and touches nothing else.
 *
 * - Replacing the Rotating resource gives it a new id (a timestamp), which is
 *   part of the token's name, so the token is replaced too: no need to wait
 *   for the rotation time to pass or for a refresh to notice it.
 * - The Grafana provider's `auth` is the token: it must be updated in the same
 *   run, or the state keeps the old (deleted) token for the next refresh.
 *   Pulumi updates providers in every targeted run anyway; naming it keeps
 *   that explicit. Its other dependents (data sources, folder, dashboards)
 *   are left alone: `--target-dependents` would also apply any undeployed
 *   change to them, which is a deploy's job, not a rotation's.
 */
export const TOKEN_ROTATION = {
  replace: ["time:index/rotating:Rotating"],
  target: [
    "time:index/rotating:Rotating",
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken",
    "pulumi:providers:grafana",
  ],
} as const;

/** A token name that changes with each rotation, so a rotation replaces the token. */
export function serviceAccountTokenName(rotationId: string): string {
  return `pulumi-${rotationId.replace(/[^A-Za-z0-9-]/g, "-")}`;
}
