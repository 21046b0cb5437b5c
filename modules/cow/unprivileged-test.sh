#!/bin/sh
# The cow and core suites through Maven (module path, as CI runs them) as uid 65534:
# a copy of the worktree and of the local Maven repository, both owned by that user.
# Usage: modules/cow/unprivileged-test.sh WORKTREE [extra mvn args]  (run as root; needs setpriv)
set -e
WT=$1; shift
D=/tmp/cow-unpriv-mvn
rm -rf $D; mkdir -p $D
[ -d /tmp/cow-m2 ] || cp -r ~/.m2/repository /tmp/cow-m2
(cd $WT && git ls-files -z | tar --null -T - -cf -) | (mkdir -p $D/wt && cd $D/wt && tar xf -)
chown -R 65534:65534 $D /tmp/cow-m2
JH=$(ls -d /usr/lib/jvm/*25* | head -1)
cd $D/wt
exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$D JAVA_HOME=$JH PATH=$JH/bin:$PATH \
  mvn -B -ntp -q -o -Dmaven.repo.local=/tmp/cow-m2 -pl modules/core,modules/cow -am verify "$@"
