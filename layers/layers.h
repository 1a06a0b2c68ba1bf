// Everything a model definition needs: the Module system and every layer.
#pragma once

#include "layers/batch_norm.h"
#include "layers/conv.h"
#include "layers/linear.h"
#include "layers/module.h"
#include "layers/sequential.h"
#include "layers/simple.h"
