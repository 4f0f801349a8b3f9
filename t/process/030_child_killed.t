# SPDX-License-Identifier: Apache-2.0
# Children killed with SIGKILL in the middle of signing: the server goes
# on, the shared state is neither stuck nor corrupted, and a SAD never
# signs more than it grants.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep time);
use POSIX ();
use lib 't/lib';
use CSC::Test;

plan tests => 6;

my $frank = login('v1', 'frank', 'frank-secret');
my ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 30},
                       token => $frank);
my $sad = $j->{SAD};
sub sign {
    my ($rr, $jj) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $sad,
        signAlgo => '1.2.840.10045.4.3.2', hash => [encode_base64(CSC::Test::random_digest('sha256'), '')]},
        token => $frank);
    return $rr->code == 200 ? 'ok' : $jj ? ($jj->{error_description} // 'json') : 'lost';
}

# four clients sign in a loop while the children are killed under them
pipe(my $rd, my $wr) or die;
my @clients;
for my $c (1 .. 4) {
    my $pid = fork // die;
    if (!$pid) {
        close $rd;
        Apache::TestRequest::user_agent(reset => 1, keep_alive => 0);
        print $wr sign(), "\n" for 1 .. 12;
        close $wr;
        POSIX::_exit(0);
    }
    push @clients, $pid;
}
close $wr;
sleep 0.3;
open my $fh, '<', Apache::Test::vars('t_pid_file') or die;
chomp(my $master = <$fh>);
my @children = grep { /^\d+$/ } map { s/\s//gr } `ps --ppid $master -o pid=`;
kill 'KILL', @children;
my @results = map { chomp; $_ } <$rd>;
waitpid $_, 0 for @clients;

my %n;
$n{$_}++ for @results;
ok t_op(scalar(@children), '>=', 1, 'killed children during the run');
ok t_cmp(scalar(grep { !/^(ok|lost|Invalid parameter SAD)$/ } @results), 0,
         'every answer was a signature, a refused SAD or a lost connection ('
         . join(', ', map { "$_: $n{$_}" } sort keys %n) . ')');

# the survivors go on: use up what is left of the SAD
my ($after, $tries) = (0, 0);
my $answer;
while (($answer = sign()) eq 'ok' && $tries++ < 40) { $after++ }
my $signed = ($n{ok} // 0) + $after;
ok t_cmp($answer, 'Invalid parameter SAD', 'the SAD ends refused, not stuck');
ok t_op($signed, '<=', 30, 'at most 30 signatures from a 30-signature SAD');
# a request killed in flight may have spent a signature it never returned
ok t_op($signed, '>=', 30 - ($n{lost} // 0), 'nothing lost beyond the requests killed in flight');
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $frank);
ok t_cmp($r->code, 200, 'new children serve with the same shared state');
