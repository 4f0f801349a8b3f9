# SPDX-License-Identifier: Apache-2.0
# API locations are not files: requests under them are not mapped under
# DocumentRoot, so <Directory> sections do not apply, and <Location>
# access control does (README, Configuration).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use CSC::Test;

plan tests => 6;

my $r = GET('/api-files/plain.txt');
ok t_cmp($r->code, 403, 'the directory is closed to files');

$r = GET('/api-files/csc/v1/info');
my $j = json($r);
ok t_cmp($r->code, 200, 'the API under it answers');
ok t_cmp($j && $j->{name}, 'Not a file', 'with its own configuration');
ok t_cmp($r->header('Content-Type') // '', qr{^application/json}, 'as JSON');

$r = GET('/api-files/csc/v2/info');
ok t_cmp($r->code, 403, 'a <Location> Require still applies to the API');

# a path under the API that happens to exist as a file is still the API
$r = GET('/api-files/csc/v1/plain.txt');
$j = json($r);
ok t_cmp(error_is($r, $j), '501|invalid_request|Method not implemented',
         'a file-like path under the API is an unknown method, not a file');
