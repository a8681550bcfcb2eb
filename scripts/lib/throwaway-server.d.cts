// Types shared by the throwaway directory handles (slapd.d.cts, samba-ad.d.cts); see throwaway-server.cjs.

/** The directory's three accounts: dev credentials, never for production. */
export interface ThrowawayDirectoryAccounts {
  /** The directory's administrator (slapd's rootdn; on AD a Domain Admin). */
  readonly adminDn: string;
  readonly adminPassword: string;
  /** The directory-gateway's account: read, write and confidential read of the roaming attributes. */
  readonly serviceDn: string;
  readonly servicePassword: string;
  /** The admin CLI's account: read and confidential read only. */
  readonly readerDn: string;
  readonly readerPassword: string;
}
