export { LOG_CATALOG_TABLES, LogCatalog } from "./log-catalog";
export type { LogCatalogArgs } from "./log-catalog";
export {
  ACCESS_ERROR_COLUMNS,
  accessErrorsTableInputs,
  CLOUDTRAIL_EVENT_COLUMNS,
  cloudTrailEventsTableInputs,
  RAW_ENVELOPE_COLUMNS,
  RAW_SERDE_PARAMETERS,
  rawEnvelopesTableInputs,
} from "./tables";
