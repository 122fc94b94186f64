import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Patient level of the index (PS3.4 C.6.1.1.2). Keyed by PatientID + IssuerOfPatientID. */
@Entity({ name: 'patient' })
export class Patient {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  /** `${issuer}\\${patientId}` (backslash cannot occur inside an LO value): the identity a PACS gives a patient. */
  @Column({ name: 'patient_key', type: 'text', unique: true })
  patientKey: string;

  @Column({ name: 'patient_id', type: 'text' })
  patientId: string;

  @Column({ type: 'text', nullable: true })
  issuer: string | null;

  @Column({ name: 'patient_name', type: 'text', nullable: true })
  patientName: string | null;

  @Column({ name: 'birth_date', type: 'text', nullable: true })
  birthDate: string | null;

  @Column({ type: 'text', nullable: true })
  sex: string | null;
}
