/** `node echo-main.js SOCKET REQUEST_BYTES REPLY_BYTES`: the echo server as its own process. */
import {startEchoServer} from './echo.js';

const [socketPath, request, reply] = process.argv.slice(2);
if (!socketPath || !request || !reply) {
	console.error('usage: echo-main SOCKET REQUEST_BYTES REPLY_BYTES');
	process.exit(2);
}

await startEchoServer(socketPath, {request: Number(request), reply: Number(reply)});
console.log('ready');
