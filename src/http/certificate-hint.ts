/** Node's codes for a peer certificate that does not verify (unknown issuer, wrong name, expired…). */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/;

/**
 * What to tell someone whose client refused the server's certificate, or undefined when `code`
 * is not such a refusal.
 */
export function untrustedCertificateHint(code: string): string | undefined {
  return CERTIFICATE_ERROR.test(code)
    ? 'its certificate is not trusted here; if a private CA signed it, point NODE_EXTRA_CA_CERTS at that CA certificate (PEM)'
    : undefined;
}
