import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Instance level of the index: one row per stored SOP instance, pointing at its blob. */
@Entity({ name: 'instance' })
export class Instance {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'sop_instance_uid', type: 'text', unique: true })
  sopInstanceUid: string;

  @Column({ name: 'series_fk', type: 'bigint' })
  seriesFk: string;

  @Column({ name: 'sop_class_uid', type: 'text' })
  sopClassUid: string;

  @Column({ name: 'instance_number', type: 'integer', nullable: true })
  instanceNumber: number | null;

  @Column({ type: 'integer', nullable: true })
  rows: number | null;

  @Column({ type: 'integer', nullable: true })
  columns: number | null;

  @Column({ name: 'number_of_frames', type: 'integer', nullable: true })
  numberOfFrames: number | null;

  @Column({ name: 'transfer_syntax_uid', type: 'text' })
  transferSyntaxUid: string;

  /** Content address of the Part 10 file in the blob store (SHA-256, hex). */
  @Column({ type: 'text' })
  sha256: string;

  @Column({ type: 'bigint' })
  size: string;

  /** Byte offset of the Pixel Data value in the file (null when absent): frames without parsing. */
  @Column({ name: 'pixel_data_offset', type: 'bigint', nullable: true })
  pixelDataOffset: string | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;
}
