/**
 * `YYYY-MM-DDTHH:MM:SS.` (UTC) for a time in whole seconds since 1970: what
 * `new Date(second * 1000).toISOString().slice(0, 20)` gives, without a Date. V8 reads the local
 * time zone at a Date's first use (ICU's time-zone data and names, ~4k distinct instructions),
 * and the guest's first log line comes before its hello, where under emulation every new
 * instruction counts (docs/guest.md, boot-to-hello). Years outside 0000-9999 go through a Date.
 */
export function utcIsoPrefix(second: number): string {
	const days = Math.floor(second / 86_400);
	const inDay = second - days * 86_400;
	// Days to a civil date (the proleptic Gregorian calendar), in 400-year eras from 0000-03-01.
	const shifted = days + 719_468;
	const era = Math.floor(shifted / 146_097);
	const dayOfEra = shifted - era * 146_097;
	const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
	const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
	// Months counted from March, so that February's leap day comes last.
	const fromMarch = Math.floor((5 * dayOfYear + 2) / 153);
	const day = dayOfYear - Math.floor((153 * fromMarch + 2) / 5) + 1;
	const month = fromMarch < 10 ? fromMarch + 3 : fromMarch - 9;
	const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
	if (year < 0 || year > 9999) {
		return new Date(second * 1000).toISOString().slice(0, 20);
	}

	const hours = Math.floor(inDay / 3600);
	const minutes = Math.floor(inDay / 60) % 60;
	return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(inDay % 60)}.`;
}

function two(n: number): string {
	return n < 10 ? `0${n}` : `${n}`;
}
