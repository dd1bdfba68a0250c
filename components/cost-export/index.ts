export { COST_TABLE_NAME, CostExport } from "./cost-export";
export type { CostExportArgs } from "./cost-export";
export { costColumns, costExportQuery, CUR2_TABLE, curTagKey } from "./columns";
export type { CostExportDefinition, TimeGranularity } from "./export-definition";
export {
  costExportDefinition,
  DATA_EXPORTS_REGION,
  exportNameProblems,
  TIME_GRANULARITIES,
} from "./export-definition";
export { BILLING_PERIOD, COST_EXPORT_PREFIX, costDataPrefix, costTableInputs } from "./table";
