/** A log spool or shipper cannot be set up: bad option, unusable folder, spool in use. */
export class LogShipperError extends Error {
  override name = 'LogShipperError';
}
