#!/usr/bin/perl
# gen-proto-corpus.pl — write the seed frames of fuzz_proto to DIR
# (default: corpus/proto beside this script), one binary file per frame,
# encoded from doc/PROTOCOL.md §1 independently of lib/proto.c.
use strict;
use warnings;
use File::Basename;

my $dir = $ARGV[0] // dirname($0) . "/corpus/proto";
mkdir $dir unless -d $dir;

# frame(KIND, [KEY, VALUE]...): one version-1 frame.
sub frame {
	my ($kind, @kv) = @_;
	my $body = '';
	my $n = 0;
	while (@kv) {
		my ($k, $v) = splice(@kv, 0, 2);
		$body .= pack('n', length $k) . $k . pack('n', length $v) . $v;
		$n++;
	}
	$body = pack('CCn', 1, $kind, $n) . $body;
	return pack('N', length $body) . $body;
}

my %seeds = (
	'status-all'	=> frame(1, cmd => 'status'),
	'status-names'	=> frame(1, cmd => 'status', name => 'web', name => 'queue:3', name => 'all'),
	'start'		=> frame(1, cmd => 'start', name => 'web:0'),
	'signal'	=> frame(1, cmd => 'signal', signal => 'SIGHUP', name => 'web'),
	'tail-follow'	=> frame(1, cmd => 'tail', name => 'web:0', lines => '100', follow => '1'),
	'reload'	=> frame(1, cmd => 'reload'),
	'version'	=> frame(1, cmd => 'version'),
	'empty-value'	=> frame(1, cmd => 'pid', name => ''),
	'record'	=> frame(2, name => 'web:0', program => 'web', num => '0', state => 'RUNNING', pid => '1234', since => '1763790000', uptime => '62', restarts => '0'),
	'record-line'	=> frame(2, line => "bin\xff\x01ary \x7f output", stream => 'stderr', pid => '42'),
	'end-ok'	=> frame(3, status => '0'),
	'end-error'	=> frame(3, status => '1', error => 'no such process: foo'),
	'no-fields'	=> frame(1),
	'two-frames'	=> frame(1, cmd => 'status') . frame(3, status => '3'),
	'long-value'	=> frame(2, line => 'x' x 4096),
	'bad-version'	=> pack('N', 4) . pack('CCn', 7, 1, 0),
	'bad-overrun'	=> pack('N', 8) . pack('CCn', 1, 1, 1) . pack('n', 200) . 'ab',
	'partial'	=> substr(frame(1, cmd => 'status', name => 'web'), 0, 11),
);
for my $name (sort keys %seeds) {
	open(my $fh, '>:raw', "$dir/$name") or die "$dir/$name: $!";
	print $fh $seeds{$name};
	close($fh) or die "$dir/$name: $!";
}
printf "%d frames written to %s\n", scalar(keys %seeds), $dir;
