import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** PostgreSQL returns bigint as a string (it may exceed 2^53); epoch milliseconds never do. */
export const epochMs: ValueTransformer = {
  to: (value: number | null) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * One stored event: the validated envelope, its columns for filtering, and a few payload fields lifted out for
 * the summaries (token type, id and size). Times are epoch milliseconds (UTC) in both databases, so range
 * filters, cursors and minute buckets are plain integer arithmetic everywhere. The schema itself is created by
 * migrations only (see ./migrations); this class describes it to TypeORM.
 */
@Entity({ name: 'audit_event' })
export class AuditEventRecord {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'occurred_at', type: 'bigint', transformer: epochMs })
  occurredAt!: number;

  @Column({ name: 'received_at', type: 'bigint', transformer: epochMs })
  receivedAt!: number;

  @Column({ name: 'correlation_id', type: 'varchar', length: 128 })
  correlationId!: string;

  @Column({ name: 'user_name', type: 'varchar', length: 256, nullable: true })
  user!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  machine!: string | null;

  @Column({ type: 'integer' })
  code!: number;

  @Column({ name: 'token_type', type: 'varchar', length: 32, nullable: true })
  tokenType!: string | null;

  @Column({ name: 'token_id', type: 'varchar', length: 512, nullable: true })
  tokenId!: string | null;

  @Column({ name: 'token_size', type: 'integer', nullable: true })
  tokenSize!: number | null;

  /** The payload as JSON text: the same bytes in both databases, cast with payload::jsonb in PostgreSQL. */
  @Column({ type: 'text' })
  payload!: string;
}

/** The columns in the order the batch insert lists them. */
export const AUDIT_EVENT_COLUMNS = [
  'id',
  'type',
  'version',
  'occurred_at',
  'received_at',
  'correlation_id',
  'user_name',
  'machine',
  'code',
  'token_type',
  'token_id',
  'token_size',
  'payload',
] as const;

export type AuditEventRow = Pick<
  AuditEventRecord,
  | 'id'
  | 'type'
  | 'version'
  | 'occurredAt'
  | 'receivedAt'
  | 'correlationId'
  | 'user'
  | 'machine'
  | 'code'
  | 'tokenType'
  | 'tokenId'
  | 'tokenSize'
  | 'payload'
>;
