#include <petscksp.h>
#include <slepceps.h>
