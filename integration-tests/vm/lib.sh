# shellcheck shell=bash
# Host-side helpers shared by run-in-guest, build-initramfs, selftest,
# ../setup-host and the test drivers.  Source this file; it defines
# functions and the constants below only.

# The line guest-run writes into the guest's kernel log when the harness
# starts its setup: kernel-log-check judges only what follows it.
# shellcheck disable=SC2034 # read by the scripts that source this file
KERNEL_LOG_MARKER="regcache-harness: kernel log checked from here"

# A kernel report of a problem (an extended regular expression): oops,
# WARN, BUG, panic, KASAN, UBSAN, kmemleak, lockdep, a general protection
# fault, a call trace, list or refcount corruption, a stall, a hung task.
# kernel-log-check fails a run on any line of it in the kernel log, and
# run-in-guest looks for it on the console of a guest that died.
# shellcheck disable=SC2034 # read by the scripts that source this file
KERNEL_PROBLEM_PATTERN='Oops|WARNING:|BUG:|kernel BUG|Kernel panic|KASAN|UBSAN|kmemleak: .*suspected memory leak|unreferenced object|general protection|Call Trace|RIP: |list_(add|del) corruption|refcount_t: |possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|lock held when returning|hung_task|blocked for more than|soft lockup|hard LOCKUP|rcu_.* detected stalls|stack-protector|double free|invalid opcode|Unable to handle'

# Where built artefacts that do not belong in the repository live
# (initramfs images, the extracted linux-source tree).  Root (CI, the
# developers) uses /var/cache/regcache; REGCACHE_CACHE_DIR overrides it.
regcache_cache_dir() {
	if [[ -n ${REGCACHE_CACHE_DIR:-} ]]; then
		printf '%s\n' "$REGCACHE_CACHE_DIR"
	elif [[ $(id -u) -eq 0 ]]; then
		printf '%s\n' /var/cache/regcache
	else
		printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/regcache"
	fi
}

# The extracted linux-source-SERIES tree (default 6.1; see
# extract_linux_source): scripts/checkpatch.pl, kernel-doc, the kselftest
# harness, a base for a debug kernel build.  Prints its path; fails if it
# has not been extracted yet.
linux_source_tree() {
	local series=${1:-6.1} tree
	tree="$(regcache_cache_dir)/linux-source-$series"
	if [[ ! -f $tree/Makefile ]]; then
		echo "linux-source-$series is not extracted at $tree: run integration-tests/setup-host" \
			"(6.1), or extract_linux_source $series from integration-tests/vm/lib.sh" >&2
		return 1
	fi
	printf '%s\n' "$tree"
}

# Extracts Debian's /usr/src/linux-source-SERIES.tar.xz (package
# linux-source-SERIES) to $(regcache_cache_dir)/linux-source-SERIES, unless
# the tree there already comes from the installed package version.
extract_linux_source() {
	local series=$1 tarball version cache tree staging
	tarball=/usr/src/linux-source-$series.tar.xz
	if [[ ! -f $tarball ]]; then
		echo "$tarball missing: apt-get install linux-source-$series" >&2
		return 1
	fi
	version=$(dpkg-query -W -f='${Version}' "linux-source-$series") || return 1
	cache=$(regcache_cache_dir)
	tree=$cache/linux-source-$series
	if [[ -f $tree/Makefile && $(cat "$tree/.regcache-package-version" 2>/dev/null) == "$version" ]]; then
		return 0
	fi
	mkdir -p "$cache" || return 1
	staging=$(mktemp -d "$cache/.linux-source-staging.XXXXXX") || return 1
	if ! nice tar -xJf "$tarball" -C "$staging" || [[ ! -f $staging/linux-source-$series/Makefile ]]; then
		rm -rf "$staging"
		echo "extracting $tarball failed (or it has no linux-source-$series/Makefile)" >&2
		return 1
	fi
	printf '%s\n' "$version" >"$staging/linux-source-$series/.regcache-package-version"
	rm -rf "$tree"
	mv "$staging/linux-source-$series" "$tree"
	rm -rf "$staging"
}

# The Debian kernel series (the first two numbers of the release, as in
# Debian's linux-image-<series>-amd64 packages) the guest boots unless told
# otherwise: Debian 12's own kernel.  REGCACHE_KERNEL_SERIES overrides it
# for every script that boots a guest or builds the module.
DEFAULT_KERNEL_SERIES=6.1

# Prints the series of kernel release $1 ("6.1.0-57-amd64" -> 6.1,
# "6.12.117+deb12-amd64" -> 6.12); fails for anything else.
kernel_series() {
	[[ $1 =~ ^([0-9]+\.[0-9]+)([.+-]|$) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# The series asked for: $1, else REGCACHE_KERNEL_SERIES, else the default.
requested_kernel_series() {
	printf '%s\n' "${1:-${REGCACHE_KERNEL_SERIES:-$DEFAULT_KERNEL_SERIES}}"
}

# Prints the newest installed Debian kernel of a series (default: see
# requested_kernel_series): the newest /boot/vmlinuz-<series>.*-amd64 whose
# modules are in /lib/modules.  Debian bumps the release every few weeks,
# so it is found here, never written down.
newest_debian_kernel_version() {
	local series image version newest=""
	series=$(requested_kernel_series "${1:-}")
	if [[ ! $series =~ ^[0-9]+\.[0-9]+$ ]]; then
		echo "kernel series '$series' is not of the form MAJOR.MINOR (6.1, 6.12)" >&2
		return 1
	fi
	for image in /boot/vmlinuz-*-amd64; do
		[[ -e $image ]] || continue
		version=${image#/boot/vmlinuz-}
		[[ $(kernel_series "$version") == "$series" ]] || continue
		[[ -d /lib/modules/$version/kernel ]] || continue
		newest=$(printf '%s\n%s\n' "$newest" "$version" | sed '/^$/d' | sort -V | tail -n 1)
	done
	if [[ -z $newest ]]; then
		echo "no Debian $series kernel (/boot/vmlinuz-$series.*-amd64 with modules in /lib/modules):" \
			"install linux-image-$series-amd64 and linux-headers-$series-amd64 (integration-tests/setup-host)" >&2
		return 1
	fi
	printf '%s\n' "$newest"
}

# The Debian kernel series the project is tested on, oldest first.
tested_kernel_series() {
	printf '%s\n' 6.1 6.12
}

# The release string (uname -r) stored in an x86 bzImage: the setup header
# holds, at offset 0x20e, a pointer (relative to 0x200) to the version
# text "6.1.0-56-amd64 (debian-kernel@...) #1 SMP ...".
kernel_image_version() {
	local image=$1 magic offset version
	magic=$(dd if="$image" bs=1 skip=514 count=4 status=none 2>/dev/null) || true
	if [[ $magic != HdrS ]]; then
		echo "$image is not an x86 bzImage (no HdrS setup header)" >&2
		return 1
	fi
	offset=$(od -An -tu2 -j 526 -N 2 "$image" | tr -d ' ')
	version=$(dd if="$image" bs=1 skip=$((offset + 512)) count=256 status=none |
		tr '\0' '\n' | head -n 1 | cut -d ' ' -f 1)
	if [[ -z $version ]]; then
		echo "cannot read the kernel version from $image" >&2
		return 1
	fi
	printf '%s\n' "$version"
}
