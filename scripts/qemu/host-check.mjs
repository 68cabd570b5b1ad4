// The ending every host-side check shares: run `main`, print its JSON result (and write it to
// $VA_E2E_RESULT for e2e.sh), exit 0; on any failure one `NAME: FAIL: reason` line and exit 1.
import fs from 'node:fs';

export async function runHostCheck(name, main) {
	try {
		const result = await main();
		const json = JSON.stringify(result);
		if (process.env.VA_E2E_RESULT) fs.writeFileSync(process.env.VA_E2E_RESULT, json + '\n');
		console.log(json);
		process.exit(0);
	} catch (error) {
		console.error(`${name}: FAIL: ${error.message}`);
		process.exit(1);
	}
}
