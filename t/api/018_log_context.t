# SPDX-License-Identifier: Apache-2.0
# A core message about a request lands in that virtual host's ErrorLog,
# obeys its (per-location) LogLevel csc:..., and carries the request's log
# id, the one %L gives in the access log.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest;
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 8;

my $logs = Apache::Test::vars('t_logs');

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return <$fh>;
}

sub wrong_login {
    my ($prefix, $user) = @_;
    my ($r, $j) = csc_call('v1', 'auth/login', {}, prefix => $prefix,
        authorization => 'Basic ' . encode_base64("$user:not-the-password", ''));
    return $r;
}

# a user name no other test uses, so the lines found are this test's
my $user = 'logctx' . $$;
Apache::TestRequest::module('csc_tenant');
my $r = wrong_login('/csc', $user);
ok t_cmp($r->code, 400, 'a wrong password on the tenant host is refused');
my $r2 = wrong_login('/quiet/csc', "$user-quiet");
ok t_cmp($r2->code, 400, 'also under the location with LogLevel csc:warn');
Apache::TestRequest::module('default');
sleep 1;    # buffered log writes

my $tenant = slurp("$logs/tenant_error_log");
my ($line) = grep { /authentication failed for user '\Q$user\E'/ } split /\n/, $tenant;
ok t_true(defined $line, "the tenant's ErrorLog has the core's message");
my ($level, $rid) = ($line // '') =~ /^\[([^\]]*)\] \[rid ([^\]]*)\]/;
ok t_cmp($level, qr/^(csc:)?info$/, 'at its level, info');
# httpd's id is standard base64 of 8 bytes, its '=' dropped: 11 characters
ok t_cmp($rid // '', qr{^[A-Za-z0-9+/]{11}$}, 'with the request log id (%L)');
ok t_true(index(slurp("$logs/tenant_access_log"), "rid=" . ($rid // "none") . " 400 /csc/v1/auth/login") >= 0,
          'the same id as the access log line of that request');
ok t_unlike(slurp("$logs/error_log"), qr/\Q$user\E/,
            "the main server's ErrorLog does not get it");
ok t_unlike($tenant, qr/\Q$user-quiet\E/,
            'LogLevel csc:warn in the location drops the info message');
