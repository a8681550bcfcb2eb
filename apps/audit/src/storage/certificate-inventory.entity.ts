import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './audit-event.entity';

/**
 * One certificate as it roams for one user: the public facts from the token events, and when audit saw it first,
 * last changed it and saw it removed (tombstoned, purged). Created by migrations only; this class describes it.
 */
@Entity({ name: 'certificate_inventory' })
export class CertificateInventoryRecord {
  @PrimaryColumn({ name: 'user_name', type: 'varchar', length: 256 })
  user!: string;

  @PrimaryColumn({ type: 'varchar', length: 40 })
  thumbprint!: string;

  @Column({ type: 'varchar', length: 4096 })
  subject!: string;

  @Column({ type: 'varchar', length: 4096 })
  issuer!: string;

  @Column({ name: 'serial_number', type: 'varchar', length: 64 })
  serialNumber!: string;

  @Column({ name: 'not_before', type: 'bigint', transformer: epochMs })
  notBefore!: number;

  @Column({ name: 'not_after', type: 'bigint', transformer: epochMs })
  notAfter!: number;

  @Column({ name: 'key_algorithm', type: 'varchar', length: 32 })
  keyAlgorithm!: string;

  @Column({ name: 'key_size', type: 'integer', nullable: true })
  keySize!: number | null;

  @Column({ name: 'signature_algorithm', type: 'varchar', length: 64 })
  signatureAlgorithm!: string;

  /** Comma-separated CERTIFICATE_WEAKNESSES, empty for none. */
  @Column({ type: 'varchar', length: 256 })
  weaknesses!: string;

  @Column({ name: 'first_seen_at', type: 'bigint', transformer: epochMs })
  firstSeenAt!: number;

  @Column({ name: 'changed_at', type: 'bigint', transformer: epochMs })
  changedAt!: number;

  @Column({ name: 'removed_at', type: 'bigint', nullable: true, transformer: epochMs })
  removedAt!: number | null;
}
