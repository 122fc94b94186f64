import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Series level of the index (PS3.18 Table 10.6.1-6 plus the attributes routing rules match on). */
@Entity({ name: 'series' })
export class Series {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'series_instance_uid', type: 'text', unique: true })
  seriesInstanceUid: string;

  @Column({ name: 'study_fk', type: 'bigint' })
  studyFk: string;

  @Column({ type: 'text', nullable: true })
  modality: string | null;

  @Column({ name: 'series_number', type: 'integer', nullable: true })
  seriesNumber: number | null;

  @Column({ name: 'series_description', type: 'text', nullable: true })
  seriesDescription: string | null;

  @Column({ name: 'body_part_examined', type: 'text', nullable: true })
  bodyPartExamined: string | null;

  @Column({ name: 'protocol_name', type: 'text', nullable: true })
  protocolName: string | null;

  @Column({ name: 'station_name', type: 'text', nullable: true })
  stationName: string | null;

  @Column({ name: 'series_date', type: 'text', nullable: true })
  seriesDate: string | null;

  @Column({ name: 'series_time', type: 'text', nullable: true })
  seriesTime: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** When the last instance of this series was stored: the clock of series stability. */
  @Column({ name: 'last_instance_at', type: 'timestamptz', default: () => 'now()' })
  lastInstanceAt: Date;
}
