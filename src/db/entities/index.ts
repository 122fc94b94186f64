import { Instance } from './instance.js';
import { Patient } from './patient.js';
import { Series } from './series.js';
import { Study } from './study.js';

export { Instance, Patient, Series, Study };
/** Every entity, listed explicitly (ESM: no glob loading). */
export const ENTITIES = [Patient, Study, Series, Instance];
