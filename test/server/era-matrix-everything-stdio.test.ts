import { describeEraMatrix } from './era-matrix.js';

describeEraMatrix('everything-stdio');
