import type { GlueColumn } from "../lib/glue-table";

/*
 * The CUR 2.0 columns the cost export selects, and so the columns of its
 * Glue table: one list, so the export's query and the table cannot drift
 * apart (Parquet columns are read by name). Names and types as AWS's table
 * dictionary gives them; `product` and `resource_tags` are maps.
 * https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html
 * https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2-resource-tags.html
 */

/** The SQL table of CUR 2.0 in Data Exports. */
export const CUR2_TABLE = "COST_AND_USAGE_REPORT";

/** The columns without `line_item_resource_id`, which exists only with INCLUDE_RESOURCES. */
const BASE_COLUMNS: readonly GlueColumn[] = [
  { name: "identity_line_item_id", type: "string", comment: "line item id (unique per billing period)" },
  { name: "identity_time_interval", type: "string", comment: "ISO-8601 interval the line item covers" },
  { name: "bill_payer_account_id", type: "string", comment: "account that pays the bill" },
  {
    name: "bill_billing_period_start_date",
    type: "timestamp",
    comment: "start of the billing period (UTC)",
  },
  { name: "line_item_usage_account_id", type: "string", comment: "account that used the resource" },
  {
    name: "line_item_line_item_type",
    type: "string",
    comment: "Usage, Tax, Credit, Fee, DiscountedUsage, SavingsPlanCoveredUsage, …",
  },
  { name: "line_item_usage_start_date", type: "timestamp", comment: "start of the usage (UTC)" },
  { name: "line_item_usage_end_date", type: "timestamp", comment: "end of the usage (UTC)" },
  { name: "line_item_product_code", type: "string", comment: "service, e.g. AmazonS3, AmazonKinesis" },
  { name: "line_item_usage_type", type: "string", comment: "usage type, e.g. EUW1-TimedStorage-ByteHrs" },
  { name: "line_item_operation", type: "string", comment: "operation, e.g. PutObject" },
  { name: "line_item_usage_amount", type: "double", comment: "usage in pricing units" },
  { name: "line_item_currency_code", type: "string", comment: "currency of the costs (USD)" },
  { name: "line_item_unblended_cost", type: "double", comment: "cost at the rate of the usage" },
  {
    name: "line_item_net_unblended_cost",
    type: "double",
    comment: "unblended cost after discounts (null without any)",
  },
  { name: "line_item_line_item_description", type: "string", comment: "what the line item is for" },
  { name: "product_region_code", type: "string", comment: "region of the product, e.g. eu-west-1" },
  { name: "product", type: "map<string,string>", comment: "product attributes (product['product_name'])" },
  {
    name: "resource_tags",
    type: "map<string,string>",
    comment: "activated cost allocation tags of the resource (resource_tags['user_environment'])",
  },
];

const RESOURCE_ID: GlueColumn = {
  name: "line_item_resource_id",
  type: "string",
  comment: "resource id or ARN (with INCLUDE_RESOURCES)",
};

/** The exported columns, in query order; `line_item_resource_id` only with resources included. */
export function costColumns(includeResources: boolean): readonly GlueColumn[] {
  if (!includeResources) return BASE_COLUMNS;
  const at = BASE_COLUMNS.findIndex((c) => c.name === "line_item_usage_amount");
  return [...BASE_COLUMNS.slice(0, at), RESOURCE_ID, ...BASE_COLUMNS.slice(at)];
}

/** The export's query: the columns, every row (Data Exports' SQL subset). */
export function costExportQuery(columns: readonly GlueColumn[]): string {
  return `SELECT ${columns.map((c) => c.name).join(", ")} FROM ${CUR2_TABLE}`;
}

/**
 * The key of a user-defined cost allocation tag in CUR 2.0's `resource_tags`
 * map: `user_` and the tag key in lower snake case (`Environment` →
 * `user_environment`, `CostCenter` → `user_cost_center`, `karpenter.sh/x` →
 * `user_karpenter_sh_x`).
 */
export function curTagKey(tagKey: string): string {
  const snake = tagKey
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
  if (snake === "") throw new Error(`tag key "${tagKey}" has no letters or digits`);
  return `user_${snake}`;
}
