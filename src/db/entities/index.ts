import { Instance } from './instance.js';
import { Model, ModelActivation, ModelGeneration } from './model.js';
import { Patient } from './patient.js';
import { Series } from './series.js';
import { Study } from './study.js';

export { Instance, Model, ModelActivation, ModelGeneration, Patient, Series, Study };
/** Every entity, listed explicitly (ESM: no glob loading). */
export const ENTITIES = [Patient, Study, Series, Instance, Model, ModelGeneration, ModelActivation];
