import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Study level of the index: the attributes QIDO-RS matches and returns (PS3.18 Table 10.6.1-5). */
@Entity({ name: 'study' })
export class Study {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'study_instance_uid', type: 'text', unique: true })
  studyInstanceUid: string;

  @Column({ name: 'patient_fk', type: 'bigint' })
  patientFk: string;

  /** DA as stored (YYYYMMDD) so that range matching is a string comparison. */
  @Column({ name: 'study_date', type: 'text', nullable: true })
  studyDate: string | null;

  @Column({ name: 'study_time', type: 'text', nullable: true })
  studyTime: string | null;

  @Column({ name: 'accession_number', type: 'text', nullable: true })
  accessionNumber: string | null;

  @Column({ name: 'study_id', type: 'text', nullable: true })
  studyId: string | null;

  @Column({ name: 'study_description', type: 'text', nullable: true })
  studyDescription: string | null;

  @Column({ name: 'referring_physician_name', type: 'text', nullable: true })
  referringPhysicianName: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
