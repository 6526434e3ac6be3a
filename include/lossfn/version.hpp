// lossfn — version. CMake reads these numbers (the single source of the version).
#pragma once

#define LOSSFN_VERSION_MAJOR 0
#define LOSSFN_VERSION_MINOR 1
#define LOSSFN_VERSION_PATCH 0
#define LOSSFN_VERSION "0.1.0"
