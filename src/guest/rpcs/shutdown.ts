import {spawn} from 'node:child_process';
import {RpcFault} from '../../engine/errors.js';
import type {CallContext} from '../../engine/registry.js';
import {FaultCode} from '../../protocol/value.js';
import {fillTemplate} from '../argv-template.js';
import type {GuestLog} from '../log.js';

/** The flag of shutdown(8) for each mode of PROTOCOL §5. */
export const shutdownFlags = {halt: '-H', powerdown: '-P', reboot: '-r'} as const;
export type ShutdownMode = keyof typeof shutdownFlags;

/** The real thing; tests always pass a harmless `--shutdown-command`. */
export const defaultShutdownCommand: readonly string[] = ['shutdown', '{flag}', '+0', 'hypervisor initiated shutdown'];

export function parseShutdownMode(mode: string): ShutdownMode {
	if (!Object.hasOwn(shutdownFlags, mode)) {
		throw new RpcFault(FaultCode.typeError, `invalid shutdown type: ${mode}`);
	}

	return mode as ShutdownMode;
}

export type ShutdownSchedulerOptions = {
	/** argv template: `{mode}` and `{flag}` are filled in. */
	readonly command: readonly string[];
	readonly delayMs: number;
	readonly log: GuestLog;
};

/**
 * va.shutdown answers first and acts later (docs/PROTOCOL.md §4, §5): the command runs only if
 * the success answer is the one written to the host, then after the delay. A fault answer, or an
 * answer that could not be delivered, runs nothing. While one shutdown is under way, another
 * with a different mode gets fault -500 `shutdown already under way (MODE)`; the same mode is
 * answered and adds nothing.
 */
export class ShutdownScheduler {
	readonly #options: ShutdownSchedulerOptions;
	/** The mode under way: answered or being answered, scheduled, or running. */
	#mode: ShutdownMode | undefined;
	/** Answers for #mode not yet settled (written or not). */
	#awaitingReply = 0;
	#timer: NodeJS.Timeout | undefined;
	#started = false;

	constructor(options: ShutdownSchedulerOptions) {
		this.#options = options;
	}

	/** Called by the handler: throws the fault to answer, or ties the action to the reply. */
	request(mode: ShutdownMode, context: CallContext): void {
		if (this.#mode !== undefined && this.#mode !== mode) {
			throw new RpcFault(FaultCode.internal, `shutdown already under way (${this.#mode})`);
		}

		this.#mode = mode;
		this.#awaitingReply++;
		context.afterReply(sent => {
			this.#awaitingReply--;
			if (sent) {
				this.#schedule(mode);
			} else {
				this.#options.log.log('warning', `shutdown (${mode}) not started: its success reply was not the one sent`);
				this.#releaseIfIdle();
			}
		});
	}

	#schedule(mode: ShutdownMode): void {
		if (this.#timer || this.#started) {
			this.#options.log.log('notice', `shutdown (${mode}) requested again: one is already under way`);
			return;
		}

		const argv = fillTemplate(this.#options.command, {mode, flag: shutdownFlags[mode]});
		this.#options.log.log('notice', `shutdown (${mode}) in ${this.#options.delayMs / 1000}s: ${JSON.stringify(argv)}`);
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			this.#run(argv);
		}, this.#options.delayMs);
	}

	#run(argv: readonly string[]): void {
		this.#started = true;
		const child = spawn(argv[0]!, argv.slice(1), {stdio: ['ignore', 'ignore', 'pipe']});
		let errorText = '';
		child.stderr.on('data', (chunk: Buffer) => {
			errorText = (errorText + chunk.toString('utf8')).slice(-300);
		});
		child.once('error', error => {
			this.#finished();
			this.#options.log.log('err', `shutdown command ${JSON.stringify(argv[0])} failed to start: ${error.message}`);
		});
		child.once('close', (code, signal) => {
			this.#finished();
			const status = signal ? `killed by ${signal}` : `exited with code ${code}`;
			const detail = code === 0 ? '' : `: ${errorText.trim().split('\n').pop() ?? ''}`;
			this.#options.log.log(code === 0 ? 'notice' : 'err', `shutdown command ${status}${detail}`);
		});
	}

	/** The command ended (the machine is still up, e.g. a test's harmless command): a new request may come. */
	#finished(): void {
		this.#started = false;
		this.#releaseIfIdle();
	}

	#releaseIfIdle(): void {
		if (this.#awaitingReply === 0 && !this.#timer && !this.#started) {
			this.#mode = undefined;
		}
	}

	/** Forget a shutdown that has not started yet (the daemon is stopping). */
	cancel(): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#releaseIfIdle();
	}
}
