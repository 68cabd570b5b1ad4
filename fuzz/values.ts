/*
 * Hostile XML-RPC values (docs/PROTOCOL.md §3, §7): every scalar type with the contents a
 * careless parser chokes on, and nesting around the limit of 64 and far past it.
 */
import type {Random} from './random.js';

/** Value contents whose decoding must stay linear; `size` is their length in characters. */
export const scalarFillers: Record<string, (size: number) => string> = {
	string: size => '<string>' + 'a&amp;&lt;'.repeat(Math.ceil(size / 10)).slice(0, size) + '</string>',
	int: size => '<int>' + '9'.repeat(size) + '</int>',
	i4: size => '<i4>-' + '1'.repeat(size) + 'x</i4>',
	i8: size => '<i8>' + '7'.repeat(size) + '</i8>',
	boolean: size => '<boolean>' + '0'.repeat(size) + '</boolean>',
	// The shape that made the old pattern backtrack: digits, then a character that fails it.
	double: size => '<double>' + '1'.repeat(size) + 'x</double>',
	'double-exp': size => '<double>1.' + '2'.repeat(size) + 'e</double>',
	'dateTime.iso8601': size => '<dateTime.iso8601>' + '2'.repeat(size) + 'T</dateTime.iso8601>',
	base64: size => '<base64>' + 'QUJD'.repeat(Math.ceil(size / 4)).slice(0, size) + '</base64>',
	nil: size => '<nil>' + ' '.repeat(size) + '</nil>',
	untyped: size => 'b'.repeat(size),
};

export function nested(depth: number, kind: 'array' | 'struct', leaf = '<int>1</int>'): string {
	const open = kind === 'array' ? '<array><data><value>' : '<struct><member><name>m</name><value>';
	const close = kind === 'array' ? '</value></data></array>' : '</value></member></struct>';
	return open.repeat(depth) + leaf + close.repeat(depth);
}

const numbers = [
	'<int></int>',
	'<int>+</int>',
	'<int> 12 </int>',
	'<int>0x10</int>',
	'<int>2147483648</int>',
	'<int>-2147483649</int>',
	'<i4>1e3</i4>',
	'<i8>9223372036854775808</i8>',
	'<i8>-9223372036854775809</i8>',
	'<double>NaN</double>',
	'<double>Infinity</double>',
	'<double>1e99999</double>',
	'<double>.</double>',
	'<double>-.e5</double>',
	'<double></double>',
	'<boolean>2</boolean>',
	'<boolean>true</boolean>',
	'<boolean></boolean>',
];
const dates = [
	'<dateTime.iso8601></dateTime.iso8601>',
	'<dateTime.iso8601>9999-99-99T99:99:99</dateTime.iso8601>',
	'<dateTime.iso8601>20240101T00:00:00+99:99</dateTime.iso8601>',
	'<dateTime.iso8601>0000-00-00T00:00:00Z</dateTime.iso8601>',
	'<dateTime.iso8601>2024-02-30T24:60:61.9999999999Z</dateTime.iso8601>',
	'<dateTime.iso8601>T</dateTime.iso8601>',
];
const base64s = ['<base64>====</base64>', '<base64>A</base64>', '<base64>!!!!</base64>', '<base64>QU=JD</base64>', '<base64>\u0000QUJD</base64>'];
const strings = [
	'<string>&#0;</string>',
	'<string>&#xD800;</string>',
	'<string>&#x110000;</string>',
	'<string>&#27;[2J&#27;]0;owned&#7;</string>',
	'<string>\u001B[31mred\u001B[0m</string>',
	'<string>line&#10;forged: ok</string>',
	'<string>\u2028\u2029</string>',
	'<string><![CDATA[<x>]]></string>',
	'<string>&unknown;</string>',
	'<string>&amp</string>',
	'<string><!-- c --></string>',
	'<string>\u009B2J</string>',
];

/** One hostile value of any kind, small enough to send by the thousand. */
export function hostileValue(random: Random): string {
	switch (random.int(8)) {
		case 0: {
			return random.pick(numbers);
		}

		case 1: {
			return random.pick(dates);
		}

		case 2: {
			return random.pick(base64s);
		}

		case 3: {
			return random.pick(strings);
		}

		case 4: {
			return nested(random.pick([1, 63, 64, 65, 200]), random.chance(0.5) ? 'array' : 'struct');
		}

		case 5: {
			const filler = scalarFillers[random.pick(Object.keys(scalarFillers))]!;
			return filler(random.pick([1, 100, 5000]));
		}

		case 6: {
			return '<struct><member><name>__proto__</name><value><int>1</int></value></member><member><name>constructor</name><value><string>x</string></value></member></struct>';
		}

		default: {
			return '<array><data>' + '<value><i4>1</i4></value>'.repeat(random.int(2000)) + '</data></array>';
		}
	}
}
