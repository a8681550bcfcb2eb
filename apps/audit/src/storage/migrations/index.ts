import { CreateAuditEvent1764028800000 } from './1764028800000-create-audit-event';
import { CreateCertificateInventory1764979200000 } from './1764979200000-create-certificate-inventory';

/** Every migration, oldest first. A schema change is a new class here, never an edit of an applied one. */
export const AUDIT_MIGRATIONS = [CreateAuditEvent1764028800000, CreateCertificateInventory1764979200000];
