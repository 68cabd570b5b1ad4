import {describe, expect, it} from 'vitest';
import {CommandLineError, parseArguments, splitCommand, splitScript, suggest} from '../../src/monitor/parse-args.js';

const file = [{name: 'filepath'}];

function parse(rest: string, specs = file, command = 'agent_viewfile') {
	return parseArguments(command, rest, specs);
}

function failure(rest: string, specs = file, command = 'agent_viewfile'): string {
	try {
		parseArguments(command, rest, specs);
	} catch (error) {
		expect(error).toBeInstanceOf(CommandLineError);
		return (error as Error).message;
	}

	throw new Error('expected a CommandLineError');
}

describe('arguments (PROTOCOL.md §6)', () => {
	it('takes a whitespace-delimited token', () => {
		expect(parse(' /etc/hostname')).toEqual(['/etc/hostname']);
		expect(parse('\t/etc/hostname   ')).toEqual(['/etc/hostname']);
		expect(parse(' foo"bar')).toEqual(['foo"bar']);
	});

	it('takes a double-quoted string with \\n \\r \\\\ \\\' \\" escapes', () => {
		expect(parse(' "/tmp/a file"')).toEqual(['/tmp/a file']);
		expect(parse(String.raw` "a\nb\rc\\d\'e\"f"`)).toEqual(['a\nb\rc\\d\'e"f']);
		expect(parse(' ""')).toEqual(['']);
	});

	it('takes a single-quoted string as it is, as a shell does', () => {
		expect(parse(" '/tmp/a file'")).toEqual(['/tmp/a file']);
		expect(parse(String.raw` 'C:\dir\"x"'`)).toEqual([String.raw`C:\dir\"x"`]);
		expect(parse(" ''")).toEqual(['']);
		expect(failure(" '/tmp/open")).toBe('agent_viewfile: unterminated string literal');
		expect(failure(" 'a'b")).toBe('agent_viewfile: extraneous characters at the end of line');
	});

	it('takes backslash-escaped spaces, quotes and backslashes in a bare token; other backslashes stay', () => {
		expect(parse(String.raw` /tmp/my\ file`)).toEqual(['/tmp/my file']);
		expect(parse(String.raw` a\'b\"c\\d\#e\;f`)).toEqual([String.raw`a'b"c\d#e;f`]);
		expect(parse(String.raw` C:\Windows\win.ini`)).toEqual([String.raw`C:\Windows\win.ini`]);
		expect(parse(' trailing\\')).toEqual(['trailing\\']);
		expect(failure(String.raw` a\ b c`)).toBe('agent_viewfile: extraneous characters at the end of line');
	});

	it('says `<cmd>: string expected` for a missing argument', () => {
		expect(failure('')).toBe('agent_viewfile: string expected');
		expect(failure('   ')).toBe('agent_viewfile: string expected');
		expect(failure(' # just a comment')).toBe('agent_viewfile: string expected');
	});

	it('says `<cmd>: extraneous characters at the end of line` for extra text', () => {
		expect(failure(' /a /b')).toBe('agent_viewfile: extraneous characters at the end of line');
		expect(failure(' "/a"b')).toBe('agent_viewfile: extraneous characters at the end of line');
		expect(failure(' x', [], 'agent_ping')).toBe('agent_ping: extraneous characters at the end of line');
	});

	it('refuses broken strings with a named error', () => {
		expect(failure(' "/tmp/open')).toBe('agent_viewfile: unterminated string literal');
		expect(failure(String.raw` "a\qb"`)).toBe(String.raw`agent_viewfile: unsupported escape code: '\q'`);
		expect(failure(' "ends with\\')).toBe("agent_viewfile: unsupported escape code: '\\'");
	});

	it('allows a trailing comment', () => {
		expect(parse(' /etc/hostname # the name')).toEqual(['/etc/hostname']);
		expect(parse(' "#not a comment"')).toEqual(['#not a comment']);
		expect(parse(' a#b')).toEqual(['a#b']);
	});

	it('checks choices and leaves optional arguments undefined', () => {
		const mode = [{name: 'shutdown type', choices: ['halt', 'powerdown', 'reboot']}];
		expect(parseArguments('agent_shutdown', ' reboot', mode)).toEqual(['reboot']);
		expect(failure(' sideways', mode, 'agent_shutdown')).toBe("agent_shutdown: invalid shutdown type 'sideways' (expected halt, powerdown or reboot)");
		expect(parseArguments('help', '', [{name: 'command', optional: true}])).toEqual([undefined]);
	});
});

describe('a rest-of-line argument', () => {
	it('takes the rest of the line as typed, quotes and all', () => {
		const specs = [{name: 'seconds'}, {name: 'command', rest: true}];
		expect(parseArguments('timeout', ' 30  agent_viewfile "/tmp/a b"  ', specs)).toEqual(['30', 'agent_viewfile "/tmp/a b"']);
		expect(() => parseArguments('timeout', '30', specs)).toThrow(new CommandLineError('timeout: string expected'));
		expect(parseArguments('x', '', [{name: 'tail', rest: true, optional: true}])).toEqual([undefined]);
	});
});

describe('splitCommand', () => {
	it('splits the name from the rest', () => {
		expect(splitCommand('  agent_viewfile "/a b"')).toEqual({name: 'agent_viewfile', rest: ' "/a b"'});
		expect(splitCommand('agent_ping')).toEqual({name: 'agent_ping', rest: ''});
		expect(splitCommand('   ')).toEqual({name: '', rest: ''});
		expect(splitCommand('# comment')).toEqual({name: '', rest: ''});
	});
});

describe('splitScript', () => {
	it('splits on ; outside quotes, one command a line, drops comments and blank lines', () => {
		expect(splitScript('agent_ping; agent_capabilities')).toEqual(['agent_ping', 'agent_capabilities']);
		expect(splitScript('agent_viewfile "/a;b"; agent_ping')).toEqual(['agent_viewfile "/a;b"', 'agent_ping']);
		expect(splitScript('# a comment; agent_ping\nagent_ping # check; not a command\n\n  \nquit')).toEqual(['agent_ping', 'quit']);
		expect(splitScript(String.raw`agent_viewfile "a\";b"; help`)).toEqual([String.raw`agent_viewfile "a\";b"`, 'help']);
		expect(splitScript('agent_viewfile "#x"; ;;agent_ping')).toEqual(['agent_viewfile "#x"', 'agent_ping']);
		expect(splitScript('agent_viewfile a"b;c')).toEqual(['agent_viewfile a"b', 'c']);
		expect(splitScript("agent_viewfile '/a;b # c'; agent_ping")).toEqual(["agent_viewfile '/a;b # c'", 'agent_ping']);
		expect(splitScript(String.raw`agent_viewfile /a\;b\ \#c; agent_ping`)).toEqual([String.raw`agent_viewfile /a\;b\ \#c`, 'agent_ping']);
	});
});

describe('suggest', () => {
	const names = ['agent_viewfile', 'agent_viewdmesg', 'agent_shutdown', 'agent_ping', 'agent_capabilities', 'help', 'info', 'quit'];
	it('finds the command meant', () => {
		expect(suggest('agent_pnig', names)).toBe('agent_ping');
		expect(suggest('agent_viewfil', names)).toBe('agent_viewfile');
		expect(suggest('hlep', names)).toBe('help');
		expect(suggest('qiut', names)).toBe('quit');
	});

	it('suggests nothing when nothing is close', () => {
		expect(suggest('frobnicate', names)).toBeUndefined();
		expect(suggest('ls', names)).toBeUndefined();
	});
});
