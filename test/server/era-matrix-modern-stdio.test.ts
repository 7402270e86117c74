import { describeEraMatrix } from './era-matrix.js';

describeEraMatrix('modern-stdio');
