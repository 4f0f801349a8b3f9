# SPDX-License-Identifier: Apache-2.0
# Every configuration in conf-examples/ passes `apache2 -t` with the built
# module, once its paths point at this suite's files.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use File::Temp qw(tempdir);
use lib 't/lib';
use CSC::Conf qw(check_config);
use CSC::Test;

my $root = Apache::Test::vars('serverroot');
my $examples = "$root/../conf-examples";
opendir my $dh, $examples or die "$examples: $!";
my @files = sort grep { /\.conf$/ && $_ ne 'csc.conf' } readdir $dh;
plan tests => 2 * @files + 1;
ok t_op(scalar(@files), '>=', 3, "examples found: @files");

# stores named by the examples, made with csc-admin
my $lib = tempdir(CLEANUP => 1);
for my $db (qw(csc customer-a customer-b)) {
    CSC::Test::admin_store("sqlite3:$lib/$db.db", 'init');
}
my $fx = "$root/fixtures";
my $csc_conf = slurp("$examples/csc.conf");
for my $f (@files) {
    my $text = slurp("$examples/$f");
    $text =~ s{/var/lib/csc}{$lib}g;
    $text =~ s{/etc/ssl/certs/ssl-cert-snakeoil.pem}{$fx/tls-cert.pem}g;
    $text =~ s{/etc/ssl/private/ssl-cert-snakeoil.key}{$fx/tls-key.pem}g;
    $text =~ s{/etc/apache2/csc-client-ca.pem}{$fx/ca.pem}g;
    $text =~ s{^Listen .*$}{}mg;    # nothing is bound by -t anyway
    my ($rc, $out) = check_config("$csc_conf\n$text");
    ok t_cmp($rc, 0, "$f passes apache2 -t");
    ok t_cmp($out, qr/Syntax OK/, "$f: Syntax OK") or print "# $out\n";
}

sub slurp { my ($p) = @_; open my $fh, '<', $p or die "$p: $!"; local $/; <$fh> }
