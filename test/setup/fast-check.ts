import fc from 'fast-check';

// fast-check's default size ('small') keeps arrays and strings to ~10 items whatever their
// maxLength: a property about a limit (a queue of 128, a key of 64 characters, a 2 KiB body)
// then never reaches it. 'medium' lets them grow to ~100 items unless a test asks otherwise.
fc.configureGlobal({baseSize: 'medium'});
