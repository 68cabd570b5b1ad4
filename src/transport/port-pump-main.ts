// The port pump as a script of its own, for the daemon run by Node (the guest executable runs
// the same pump by re-running itself: see fd-channel.ts).
import {runPortPump} from './port-pump.js';

runPortPump();
