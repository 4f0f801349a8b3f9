# SPDX-License-Identifier: Apache-2.0
# A misconfiguration stops `apache2 -t` with a message that names the
# directive and the problem.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use CSC::Conf qw(check_config);
use CSC::Test;

my $fx = Apache::Test::vars('serverroot') . '/fixtures';
# a store whose record was edited by hand into a bad key reference
my $bad_db = Apache::Test::vars('t_logs') . '/badkey.db';
unlink $bad_db;
system('sqlite3', "$fx/main.db", ".backup '$bad_db'") == 0 or die 'sqlite3 .backup failed';
system('sqlite3', $bad_db, "UPDATE csc_credential SET key_ref = 'hsm:slot0' WHERE id = 'alice-ec'") == 0
    or die 'sqlite3 UPDATE failed';
my @bad = (
    ["CSCCredentialStore sqlite3:$bad_db", qr/CSCCredentialStore .*credential alice-ec: bad key reference/],
    ['CSCCredentialStore sqlite3:/nonexistent/csc.db', qr/CSCCredentialStore.*nonexistent/],
    ["CSCCredentialStore sqlite3:$fx/htpasswd", qr/CSCCredentialStore/],
    ['CSCCredentialStore mysql5:whatever', qr/CSCCredentialStore/],
    ['CSCCredentialStore /var/lib/csc/csc.db', qr/Syntax error on line \d+ .*CSCCredentialStore: credential store '\/var\/lib\/csc\/csc.db': expected '<driver>:<params>'/s],
    ['CSCServiceRegion Belgium', qr/CSCServiceRegion: 'Belgium' is not an ISO 3166-1/],
    ['CSCAuthType kerberos', qr/CSCAuthType: unknown type 'kerberos'/],
    ['CSCAuthnProvider nosuch', qr/CSCAuthnProvider: unknown authentication provider 'nosuch'/],
    ['CSCTokenLifetime forever', qr/CSCTokenLifetime: 'forever' is not a duration/],
    ['CSCTokenLifetime 0', qr/CSCTokenLifetime/],
    ['CSCPageSize 1000', qr/CSCPageSize: '1000' is not a whole number from 1 to 100/],
    ['CSCMaxJSONDepth deep', qr/CSCMaxJSONDepth/],
    ['CSCBasePath csc', qr/CSCBasePath: 'csc' must be an absolute URL path/],
    ['CSCPKCS11PIN 1234', qr/CSCPKCS11PIN: use file:/],
    ['CSCPKCS11Module /nonexistent/libpkcs11.so', qr/CSCPKCS11Module: '\/nonexistent\/libpkcs11.so' is not a readable file/],
    ['CSCOTPDelivery sms', qr/CSCOTPDelivery: 'sms' must be file:/],
    ['CSCOTPDelivery command:/nonexistent/send-sms', qr/CSCOTPDelivery: \/nonexistent\/send-sms is not an executable/],
    ["<VirtualHost *:8080>\nCSCStateFile /tmp/x\n</VirtualHost>", qr/CSCStateFile.*cannot occur within <VirtualHost>/],
    ["<Location /x>\nCSCStateSlots 100\n</Location>", qr/CSCStateSlots not allowed in <Location> context/],
    ['CSCStateSlots 10', qr/CSCStateSlots: '10' is not a whole number/],
    ['CSCServiceName ' . ('x' x 300), qr/CSCServiceName: at most 255 characters/],
    ['CSCMaxGrantsPerUser 0', qr/CSCMaxGrantsPerUser: '0' is not a whole number from 1 to 64/],
    ['CSCMaxGrantsPerUser 65', qr/CSCMaxGrantsPerUser: '65' is not a whole number from 1 to 64/],
    ['CSCGrantLifetime never', qr/CSCGrantLifetime: 'never' is not a duration/],
    ['CSCMaxGrantsPerTenant many', qr/CSCMaxGrantsPerTenant: 'many' is not a whole number/],
    ['CSCLoginLimit -1', qr/CSCLoginLimit: '-1' is not a whole number/],
    ['CSCClientLimit lots', qr/CSCClientLimit: 'lots' is not a whole number/],
    ['CSCOTPLimit 1.5', qr/CSCOTPLimit: '1.5' is not a whole number/],
    # key references are checked against the PKCS#11 module this
    # configuration names, wherever the two directives stand
    ["CSCPKCS11Module $fx/htpasswd\n<Location /csc>\nCSCCredentialStore sqlite3:$fx/main.db\n</Location>",
     qr/CSCCredentialStore sqlite3:\S+main\.db: credential [\w-]+: bad key reference: PKCS#11 module \S+htpasswd (cannot be loaded|is not a PKCS#11 library)/],
    ["<Location /csc>\nCSCCredentialStore sqlite3:$fx/main.db\n</Location>\nCSCPKCS11Module $fx/htpasswd",
     qr/CSCCredentialStore sqlite3:\S+main\.db: credential [\w-]+: bad key reference: PKCS#11 module \S+htpasswd/],
);
plan tests => 2 * @bad + 4;

for my $case (@bad) {
    my ($snippet, $want) = @$case;
    my ($rc, $out) = check_config($snippet);
    my $name = (split /\n/, $snippet)[0] =~ s/^<[^>]*>$//r || (split /\n/, $snippet)[1];
    ok t_op($rc, '!=', 0, "refused: " . substr($name, 0, 60));
    ok t_cmp($out, $want, 'message names the directive and the problem');
}

my ($rc, $out) = check_config(<<"CONF");
<Location /csc>
    CSCCredentialStore "sqlite3:$fx/main.db"
</Location>
CSCPKCS11Module /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
CONF
ok t_cmp($rc, 0, 'the store\'s engine: keys pass with a real PKCS#11 module named after it');
ok t_cmp($out, qr/Syntax OK/, 'Syntax OK');

($rc, $out) = check_config(<<"CONF");
<Location /csc>
    SetHandler csc-api
    CSCCredentialStore "sqlite3:$fx/main.db"
    CSCAuthType basic external
    CSCAuthnProvider file
    CSCTokenLifetime 15m
    CSCServiceRegion FR
    CSCGrantLifetime 12h
    CSCMaxGrantsPerUser 64
    CSCMaxGrantsPerTenant 500
    CSCLoginLimit 0
    CSCClientLimit 600
    CSCOTPLimit 3
</Location>
CONF
ok t_cmp($rc, 0, 'a correct configuration passes');
ok t_cmp($out, qr/Syntax OK/, 'Syntax OK');
