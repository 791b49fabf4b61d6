#!/usr/bin/perl
# SPDX-License-Identifier: ISC
#
# gen-mmdb.pl - write small MaxMind DB files for the tests.
#
# usage: perl t/gen-mmdb.pl [--dbip] [--ipv4] [--odd] [--bench] OUTDIR
#
# Writes OUTDIR/country.mmdb (GeoLite2-Country) and OUTDIR/asn.mmdb
# (GeoLite2-ASN); with --dbip also dbip-country.mmdb (DBIP-Country-Lite)
# and dbip-asn.mmdb (DBIP-ASN-Lite), which hold the same data: DB-IP
# uses the same map keys, only the database_type differs.  With --ipv4
# also v4-country.mmdb and v4-asn.mmdb: ip_version 4 trees with the IPv4
# rows only, as old GeoIP2-style IPv4-only files are.  With --odd also
# odd-country.mmdb and odd-asn.mmdb, whose values a reader must check:
# a lower-case code, codes of the wrong length, an AS number as text.
# With --bench also bench-country.mmdb and bench-asn.mmdb, for make
# bench: every /24 of 10.0.0.0/8, where the load generator's clients
# are, is a network of its own (65,536 of them, spread over the five
# countries and 1,000 ASes), so that a lookup walks 24 levels of the
# tree, as deep as most lookups in the real files go.
#
# Only documentation ranges are used, so the writer must be told to keep
# reserved networks.  IPv4 networks live at ::/96 of the IPv6 tree and
# ::ffff:0:0/96 is aliased to them, as in the real databases.  The build
# epoch is fixed so that the files are the same on every run.
#
# The networks below are relied on by the unit and e2e tests; add rows
# if you need more, do not change these.
#
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

my $BUILD_EPOCH = 1795305600;	# 2026-11-22T00:00:00Z, T0 of the tests

my %types = (
	country				=> 'map',
	registered_country		=> 'map',
	continent			=> 'map',
	names				=> 'map',
	iso_code			=> 'utf8_string',
	code				=> 'utf8_string',
	en				=> 'utf8_string',
	geoname_id			=> 'uint32',
	autonomous_system_number	=> 'uint32',
	autonomous_system_organization	=> 'utf8_string',
);

my %place = (
	DE => [ 2921044, 'Germany' ],
	CN => [ 1814991, 'China' ],
	US => [ 6252001, 'United States' ],
	CA => [ 6251999, 'Canada' ],
	FR => [ 3017382, 'France' ],
);
my %continent = (
	EU => [ 6255148, 'Europe' ],
	AS => [ 6255147, 'Asia' ],
	NA => [ 6255149, 'North America' ],
);

sub country
{
	my ($cc) = @_;
	my $p = $place{$cc} or die "gen-mmdb: no place $cc\n";

	return { iso_code => $cc, geoname_id => $p->[0],
	    names => { en => $p->[1] } };
}

sub continent
{
	my ($code) = @_;
	my $p = $continent{$code} or die "gen-mmdb: no continent $code\n";

	return { code => $code, geoname_id => $p->[0],
	    names => { en => $p->[1] } };
}

# 203.0.113.0/25 is registered in CA but used in the US: the code must
# prefer "country".  203.0.113.128/25 has only "registered_country", as
# GeoLite2 has for some satellite and anycast networks.
my @country_rows = (
	[ '192.0.2.0/24', { country => country('DE'),
	    registered_country => country('DE'), continent => continent('EU') } ],
	[ '198.51.100.0/24', { country => country('CN'),
	    registered_country => country('CN'), continent => continent('AS') } ],
	[ '203.0.113.0/25', { country => country('US'),
	    registered_country => country('CA'), continent => continent('NA') } ],
	[ '203.0.113.128/25', { registered_country => country('FR') } ],
	[ '2001:db8:1::/48', { country => country('DE'),
	    registered_country => country('DE'), continent => continent('EU') } ],
	[ '2001:db8:2::/48', { country => country('CN'),
	    registered_country => country('CN'), continent => continent('AS') } ],
	# 10.0.0.0/8 is deliberately not listed.
);

sub asn
{
	my ($n, $org) = @_;

	return { autonomous_system_number => $n,
	    autonomous_system_organization => $org };
}

my @asn_rows = (
	[ '198.51.100.0/24', asn(64501, 'Example Net CN') ],
	[ '203.0.113.0/24', asn(64502, 'Example Net US') ],
	[ '192.0.2.0/25', asn(64500, 'Example Net DE-1') ],
	[ '192.0.2.128/25', asn(64500, 'Example Net DE-1') ],
	[ '2001:db8:1::/48', asn(64500, 'Example Net DE-1') ],
	[ '2001:db8:2::/48', asn(64501, 'Example Net CN') ],
);

# The odd files store autonomous_system_number as text.
my %odd_types = (%types, autonomous_system_number => 'utf8_string');

my @odd_country_rows = (
	[ '192.0.2.0/26', { country => { iso_code => 'de' } } ],
	[ '192.0.2.64/26', { country => { iso_code => 'DEU' } } ],
	[ '192.0.2.128/26', { country => { iso_code => 'D1' } } ],
	[ '192.0.2.192/26', { continent => continent('EU') } ],
);
my @odd_asn_rows = (
	[ '192.0.2.0/25', { autonomous_system_number => '64500' } ],
	[ '192.0.2.128/25', { autonomous_system_organization => 'No Number' } ],
);

sub write_db
{
	my ($path, $type, $rows, $ipv, $keytypes) = @_;
	$ipv //= 6;
	$keytypes //= \%types;
	my $tree = MaxMind::DB::Writer::Tree->new(
		ip_version		=> $ipv,
		record_size		=> 24,
		database_type		=> $type,
		languages		=> [ 'en' ],
		description		=> { en => "policyd test $type" },
		map_key_type_callback	=> sub {
			$keytypes->{$_[0]} //
			    die "gen-mmdb: no type for key $_[0]\n";
		},
		remove_reserved_networks => 0,
		alias_ipv6_to_ipv4	=> $ipv == 6 ? 1 : 0,
		_build_epoch		=> $BUILD_EPOCH,
	);

	for my $row (@$rows) {
		next if $ipv == 4 && $row->[0] =~ /:/;
		$tree->insert_network(@$row);
	}
	# Write aside and rename, so a reader never sees half a file.
	open(my $fh, '>:raw', "$path.tmp") or die "gen-mmdb: $path.tmp: $!\n";
	$tree->write_tree($fh);
	close($fh) or die "gen-mmdb: $path.tmp: $!\n";
	rename("$path.tmp", $path) or die "gen-mmdb: $path: $!\n";
}

# bench_rows - every /24 of 10.0.0.0/8: a country, or an AS
sub bench_rows
{
	my ($asn) = @_;
	my @cc = sort keys %place;
	my @rows;

	for my $i (0 .. 65535) {
		my $net = sprintf('10.%d.%d.0/24', $i >> 8, $i & 255);
		push @rows, [ $net, $asn ?
		    asn(65000 + $i % 1000, 'Bench Net ' . $i % 1000) :
		    { country => country($cc[$i % @cc]) } ];
	}
	return \@rows;
}

my %opt;
while (@ARGV && $ARGV[0] =~ /^--(dbip|ipv4|odd|bench)$/) {
	$opt{$1} = 1;
	shift @ARGV;
}
die "usage: gen-mmdb.pl [--dbip] [--ipv4] [--odd] [--bench] OUTDIR\n"
    unless @ARGV == 1;
my $dir = $ARGV[0];
die "gen-mmdb: $dir: not a directory\n" unless -d $dir;

write_db("$dir/country.mmdb", 'GeoLite2-Country', \@country_rows);
write_db("$dir/asn.mmdb", 'GeoLite2-ASN', \@asn_rows);
if ($opt{dbip}) {
	write_db("$dir/dbip-country.mmdb", 'DBIP-Country-Lite', \@country_rows);
	write_db("$dir/dbip-asn.mmdb", 'DBIP-ASN-Lite', \@asn_rows);
}
if ($opt{ipv4}) {
	write_db("$dir/v4-country.mmdb", 'GeoLite2-Country', \@country_rows, 4);
	write_db("$dir/v4-asn.mmdb", 'GeoLite2-ASN', \@asn_rows, 4);
}
if ($opt{odd}) {
	write_db("$dir/odd-country.mmdb", 'GeoLite2-Country',
	    \@odd_country_rows);
	write_db("$dir/odd-asn.mmdb", 'GeoLite2-ASN', \@odd_asn_rows, 6,
	    \%odd_types);
}
if ($opt{bench}) {
	write_db("$dir/bench-country.mmdb", 'GeoLite2-Country', bench_rows(0));
	write_db("$dir/bench-asn.mmdb", 'GeoLite2-ASN', bench_rows(1));
}
exit 0;
