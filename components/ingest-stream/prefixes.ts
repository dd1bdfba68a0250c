/**
 * Firehose S3 prefixes of the raw archive: Hive-style hourly partitions (by
 * arrival time, the only time Firehose knows) so that Athena can prune them,
 * and errors split by error type.
 */
export function rawArchivePrefixes(
  dataPrefix: string,
  errorPrefix: string,
): { prefix: string; errorOutputPrefix: string } {
  const hourly = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/";
  return {
    prefix: `${dataPrefix}${hourly}`,
    errorOutputPrefix: `${errorPrefix}!{firehose:error-output-type}/${hourly}`,
  };
}
