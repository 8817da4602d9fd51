# Re-creates abcrf_fixture.json: R abcrf 2.0 (ranger 0.14.1) on abcrf_table.csv, 10 forest seeds.
#   Rscript abcrf_fixture.R   (in tests/data; needs R with abcrf and jsonlite-free output)
suppressMessages(library(abcrf))
table <- read.csv("abcrf_table.csv"); table$model <- factor(table$model)
obs <- read.csv("abcrf_observed.csv")
runs <- lapply(1:10, function(s) {
  set.seed(s)
  fit <- abcrf(model ~ ., data = table, lda = TRUE, ntree = 500, paral = FALSE)
  pred <- predict(fit, obs, table, ntree = 1000, paral = FALSE)
  list(err = fit$prior.err, chosen = as.integer(as.character(pred$allocation)), prob = pred$post.prob,
       votes = pred$vote / 1000)  # predict.abcrf counts each of 500 trees twice when ntree = 1000
})
fmt <- function(v) paste0("[", paste(sprintf("%.6f", v), collapse = ", "), "]")
err <- sapply(runs, `[[`, "err")
chosen <- t(sapply(runs, `[[`, "chosen"))
prob <- t(sapply(runs, `[[`, "prob"))
votes <- Reduce(`+`, lapply(runs, `[[`, "votes")) / length(runs)
cat("{\n", sprintf('  "abcrf": "%s", "ranger": "%s", "R": "%s",\n', packageVersion("abcrf"),
    packageVersion("ranger"), getRversion()),
    sprintf('  "prior_error": %s,\n', fmt(err)),
    sprintf('  "chosen": [%s],\n', paste(apply(chosen, 1, function(r) paste0("[", paste(r, collapse = ", "), "]")),
                                        collapse = ", ")),
    sprintf('  "probability_mean": %s,\n', fmt(colMeans(prob))),
    sprintf('  "probability_sd": %s,\n', fmt(apply(prob, 2, sd))),
    sprintf('  "votes_mean": [%s]\n', paste(apply(votes, 1, fmt), collapse = ", ")),
    "}\n", sep = "", file = "abcrf_fixture.json")
