module github.com/pipe-ml/pipe

go 1.26.8
