# SPDX-License-Identifier: Apache-2.0
# Every nginx configuration in conf-examples/nginx/ passes `nginx -t` with
# the built module, once its paths point at this suite's files.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use lib 't/lib';
use CSC::Test;

my $root = Apache::Test::vars('serverroot');
my $examples = "$root/../conf-examples/nginx";
my $module = "$root/../ngx_csc/build/objs/ngx_http_csc_module.so";
opendir my $dh, $examples or die "$examples: $!";
my @files = sort grep { /\.conf$/ && $_ !~ /^(csc|mod-http-csc)\.conf$/ } readdir $dh;
plan tests => 2 * @files + 2;
ok t_op(scalar(@files), '>=', 2, "examples found: @files");

my $dir = tempdir(CLEANUP => 1);
CSC::Test::admin_store("sqlite3:$dir/csc.db", 'init');
my $fx = "$root/fixtures";
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die $!;
    return $s->sockport;
}
sub slurp { my ($p) = @_; open my $fh, '<', $p or die "$p: $!"; local $/; <$fh> }
sub localize {
    my ($text) = @_;
    $text =~ s{/var/lib/csc}{$dir}g;
    $text =~ s{/var/log/nginx}{$dir}g;
    $text =~ s{/etc/ssl/certs/ssl-cert-snakeoil.pem}{$fx/tls-cert.pem}g;
    $text =~ s{/etc/ssl/private/ssl-cert-snakeoil.key}{$fx/tls-key.pem}g;
    $text =~ s{/etc/nginx/csc-client-ca.pem}{$fx/ca.pem}g;
    $text =~ s{/etc/nginx/csc.htpasswd}{$fx/htpasswd}g;
    $text =~ s{/etc/nginx/csc-token.pin}{$fx/token.pin}g;
    # nginx -t binds its ports: a free one on loopback instead of 80/443
    $text =~ s{^(\s*listen )\d+}{$1 . '127.0.0.1:' . free_port()}mge;
    return $text;
}
my $load = slurp("$examples/mod-http-csc.conf");
ok t_cmp($load, qr{^load_module modules/ngx_http_csc_module\.so;$}m, 'the load snippet names the installed module');
my $csc = localize(slurp("$examples/csc.conf"));
for my $f (@files) {
    my $conf = "$dir/$f.nginx.conf";
    open my $fh, '>', $conf or die;
    print $fh "load_module $module;\npid $dir/nginx.pid;\nerror_log $dir/error.log;\n"
        . "events {}\nhttp {\n    client_body_temp_path $dir/body;\n    proxy_temp_path $dir/proxy;\n"
        . "    fastcgi_temp_path $dir/fastcgi;\n    uwsgi_temp_path $dir/uwsgi;\n    scgi_temp_path $dir/scgi;\n"
        . "    csc_state_file $dir/csc-state;\n$csc\n" . localize(slurp("$examples/$f")) . "\n}\n";
    close $fh;
    my $out = `/usr/sbin/nginx -t -p '$dir' -e '$dir/error.log' -c '$conf' 2>&1`;
    ok t_cmp($? >> 8, 0, "$f passes nginx -t");
    ok t_cmp($out, qr/test is successful/, "$f: test is successful") or print STDERR map { "# $_\n" } split /\n/, $out;
}
