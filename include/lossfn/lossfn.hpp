// lossfn — machine-learning loss functions over Eigen: value, gradient,
// fused value-and-gradient, Hessian diagonal. Everything; each loss also has
// its own header.
#pragma once

#include "core.hpp"
#include "version.hpp"

#include "activations.hpp"

#include "binary_cross_entropy.hpp"
#include "binary_cross_entropy_with_logits.hpp"
#include "categorical_cross_entropy.hpp"
#include "cox_proportional_hazards.hpp"
#include "ctc_loss.hpp"
#include "expectile_loss.hpp"
#include "gamma_loss.hpp"
#include "hinge.hpp"
#include "huber_loss.hpp"
#include "kl_divergence.hpp"
#include "log_cosh_loss.hpp"
#include "mean_absolute_error.hpp"
#include "mean_absolute_percentage_error.hpp"
#include "mean_squared_error.hpp"
#include "mean_squared_log_error.hpp"
#include "multi_class_hinge.hpp"
#include "negative_log_likelihood.hpp"
#include "poisson_nll_loss.hpp"
#include "poly_cross_entropy.hpp"
#include "pseudo_huber_loss.hpp"
#include "quantile_loss.hpp"
#include "root_mean_squared_error.hpp"
#include "sigmoid_focal_loss.hpp"
#include "smooth_l1_loss.hpp"
#include "softmax_cross_entropy.hpp"
#include "softmax_focal_loss.hpp"
#include "squared_hinge.hpp"
#include "tweedie_loss.hpp"
#include "zero_one_loss.hpp"
