import { describeEraMatrix } from './era-matrix.js';

describeEraMatrix('modern-http');
