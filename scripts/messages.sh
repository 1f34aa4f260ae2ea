#!/usr/bin/env bash
# Refresh every gettext catalogue (one per app, plus src/shequ/locale for the project-level modules)
# and compile them. Needs GNU gettext (apt-get install gettext). Translate new msgids in the .po files,
# then run this again; commit both .po and .mo.
set -euo pipefail
cd "$(dirname "$0")/../src/shequ"
export PYTHONPATH="$PWD/.." DJANGO_SETTINGS_MODULE=shequ.settings
admin=../../.venv/bin/django-admin
ignore=()
for app in */; do
  app=${app%/}
  [ -f "$app/apps.py" ] || continue
  ignore+=("--ignore=$app/*")
  (cd "$app" && mkdir -p locale && ../$admin makemessages -l zh_Hans --no-obsolete >/dev/null)
done
$admin makemessages -l zh_Hans --no-obsolete "${ignore[@]}" >/dev/null
$admin compilemessages -l zh_Hans >/dev/null
grep -l 'msgstr ""$' */locale/zh_Hans/LC_MESSAGES/django.po locale/zh_Hans/LC_MESSAGES/django.po 2>/dev/null \
  | xargs -r msgfmt --statistics -o /dev/null 2>&1 | grep -i untranslated || echo "All catalogues fully translated."
