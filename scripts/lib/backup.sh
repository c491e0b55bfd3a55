# shellcheck shell=bash
# The manifest of a backup folder: scripts/backup.sh writes it last, scripts/restore.sh checks it
# before changing anything. Sourced after common.sh, not run.
#
# MANIFEST is plain text, one record a line:
#   plz-backup 1                      format, first line
#   KEY VALUE                         created, deployment, generator, plz-version, migrations...
#   file SHA256 SIZE PATH             every other file of the folder (PATH relative to it, may hold spaces)
#   end FILES BYTES                   last line: a manifest cut short lacks it
# Needs GNU coreutils and findutils (sha256sum -z, find -printf).

PLZ_BACKUP_FORMAT='plz-backup 1'

# Prints one "file SHA256 SIZE PATH" line per regular file under DIR (MANIFEST and MANIFEST.tmp
# aside), sorted by path (C locale). Dies on a file name holding a newline (the manifest is lines).
plz_backup_scan() {
  local dir=$1 record path count=0
  local -A sizes=()
  while IFS= read -r -d '' record; do
    path=${record#* }
    [[ $path != *$'\n'* ]] || plz_die "a file name with a newline in the backup: $(printf '%q' "$path")"
    sizes[$path]=${record%% *}
  done < <(cd "$dir" && find . -type f ! -path ./MANIFEST ! -path ./MANIFEST.tmp -printf '%s %P\0')
  while IFS= read -r -d '' record; do
    # "SHA256  ./PATH" (sha256sum -z: NUL-terminated, names not escaped)
    path=${record:68}
    printf 'file %s %s %s\n' "${record:0:64}" "${sizes[$path]}" "$path"
    count=$((count + 1))
  done < <(cd "$dir" && find . -type f ! -path ./MANIFEST ! -path ./MANIFEST.tmp -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum -z)
  ((count == ${#sizes[@]})) || plz_die "could not read every file of $dir ($count of ${#sizes[@]} checksummed)"
}

# Prints the value of KEY in DIR/MANIFEST (empty when absent).
plz_backup_field() {
  local dir=$1 key=$2 line
  while IFS= read -r line; do
    if [[ $line == "$key "* ]]; then
      printf '%s' "${line#"$key "}"
      return 0
    fi
  done <"$dir/MANIFEST"
}

# Checks the backup folder DIR against its MANIFEST: the format line, the end line, every file
# present with its size (all of them first: a truncated copy is refused without reading it all) and
# then its sha256, and no file the manifest does not list. Dies listing the problems (the first 20),
# saying that nothing was changed; prints nothing when the backup is whole.
plz_backup_verify() {
  local dir=$1 line rest sum size path files=0 bytes=0 ended=''
  local -A expected_size=() expected_sum=() actual_size=()
  local -a problems=()
  [[ -d $dir ]] || plz_die "no backup folder at $dir; nothing was changed"
  [[ -f $dir/MANIFEST ]] || plz_die "$dir has no MANIFEST: it is no complete plz backup (scripts/backup.sh writes the manifest last: a backup that stopped half-way has none); nothing was changed"
  {
    IFS= read -r line || line=''
    [[ $line == "$PLZ_BACKUP_FORMAT" ]] || plz_die "$dir/MANIFEST does not start with \"$PLZ_BACKUP_FORMAT\" (it starts with \"${line:0:40}\"): not a plz backup this script can read; nothing was changed"
    while IFS= read -r line; do
      [[ -z $ended ]] || plz_die "$dir/MANIFEST goes on after its end line: it was changed; nothing was changed"
      case $line in
        'file '*)
          rest=${line#file }
          sum=${rest%% *}
          rest=${rest#* }
          size=${rest%% *}
          path=${rest#* }
          [[ $sum =~ ^[0-9a-f]{64}$ && $size =~ ^[0-9]+$ && -n $path ]] || plz_die "$dir/MANIFEST has a damaged line: ${line:0:120}; nothing was changed"
          expected_sum[$path]=$sum
          expected_size[$path]=$size
          files=$((files + 1))
          bytes=$((bytes + size))
          ;;
        'end '*) ended=${line#end } ;;
      esac
    done
  } <"$dir/MANIFEST"
  [[ -n $ended ]] || plz_die "$dir/MANIFEST has no end line: it was cut short; nothing was changed"
  [[ $ended == "$files $bytes" ]] || plz_die "$dir/MANIFEST ends with \"end $ended\" but lists $files files of $bytes bytes: it was changed; nothing was changed"

  while IFS= read -r -d '' line; do
    actual_size[${line#* }]=${line%% *}
  done < <(cd "$dir" && find . ! -path . ! -path ./MANIFEST \( -type f -printf '%s %P\0' -o ! -type d -printf 'x %P\0' \))
  for path in "${!expected_size[@]}"; do
    if [[ ! -v actual_size[$path] ]]; then
      problems+=("missing: $path")
    elif [[ ${actual_size[$path]} != "${expected_size[$path]}" ]]; then
      problems+=("wrong size: $path (${actual_size[$path]} bytes, the manifest says ${expected_size[$path]})")
    fi
  done
  for path in "${!actual_size[@]}"; do
    [[ -v expected_size[$path] ]] || problems+=("not in the manifest: $path")
  done
  if ((${#problems[@]} == 0)); then
    plz_log "checking the sha256 of $files files ($bytes bytes)"
    while IFS= read -r line; do
      rest=${line#file }
      sum=${rest%% *}
      rest=${rest#* }
      path=${rest#* }
      [[ $sum == "${expected_sum[$path]}" ]] || problems+=("wrong sha256: $path")
    done < <(plz_backup_scan "$dir")
  fi
  if ((${#problems[@]} > 0)); then
    local listed
    listed=$(printf '  %s\n' "${problems[@]}" | LC_ALL=C sort | head -n 20)
    plz_die "$(printf 'the backup in %s does not match its MANIFEST (%s problems), so it is refused and nothing was changed:\n%s' "$dir" "${#problems[@]}" "$listed")"
  fi
}
