"""Files the system writes for people to open: cells that cannot carry code (exports.cells),
outputs written whole or not at all and never over an existing file unless asked (exports.files),
the published 公示 list (exports.notice). Import the submodule you need: openpyxl loads only then."""
