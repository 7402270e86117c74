/** One finding of `gatehouse doctor`: what was checked, how it went, and the fix when it did not pass. */
export interface DoctorCheck {
  /** Stable id for scripts: config, references, cf-access-tokens, keychain, port, backend:<name>, network:<name>, tls:<name>, clients. */
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  /** The config file checked. */
  config: string;
  checks: DoctorCheck[];
  counts: Record<DoctorCheck['status'], number>;
}
