// echo_supervisord_conf: print the sample configuration to stdout.

import { SAMPLE_CONFIG } from '../config/sample.js';

process.stdout.write(SAMPLE_CONFIG);
