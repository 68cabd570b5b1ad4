// The screen formats times and ages as every other view does: one formatter, in ../format.ts.
export {age, clock as clockTime} from '../format.js';
