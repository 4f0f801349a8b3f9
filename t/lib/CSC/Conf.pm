# SPDX-License-Identifier: Apache-2.0
package CSC::Conf;
# Runs `apache2 -t` on a configuration made of the suite's module list,
# the built mod_csc and a snippet, for the configuration-check tests.
use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use File::Temp qw(tempdir);
use Apache::Test ();

our @EXPORT_OK = qw(check_config);

my $dir;

sub check_config {
    my ($snippet) = @_;
    my $vars = Apache::Test::vars();
    $dir //= tempdir(CLEANUP => 1);
    my $root = $vars->{serverroot};
    my $inherit = "$root/inherit.conf";
    my $conf = "$dir/test.conf";
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh <<"CONF";
ServerRoot "$dir"
ServerName localhost
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
DefaultRuntimeDir "$dir"
Define APACHE_LOG_DIR "$dir"
Include "$inherit"
LoadModule csc_module "$root/../mod_csc/.libs/mod_csc.so"
$snippet
CONF
    close $fh;
    my $httpd = $vars->{httpd};
    my $out = `"$httpd" -t -f "$conf" 2>&1`;
    return ($? >> 8, $out);
}

1;
