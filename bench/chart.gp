# SPDX-License-Identifier: Apache-2.0
# Ratio chart for bench/run.sh:
#   gnuplot -e "datafile='chart.dat'; outfile='results.png'; mpms='event prefork'" chart.gp
# One bar per scenario and MPM (median ratio, min-max whisker), the target
# as a short black line over each group.
set terminal pngcairo size 1000,520 font "sans,10" noenhanced
set output outfile
set title "mod_csc: throughput as a ratio of the raw rate (info: of the static file)"
set ylabel "ratio (median, min-max)"
set yrange [0:*]
set grid ytics
set key top right
set style fill solid 0.6 border -1
set xtics nomirror
set boxwidth 0.8 / words(mpms)
n = words(mpms)
off(i) = -0.4 + 0.8 / n * (i - 0.5)
tcol = 2 + 3 * n
plot datafile using 0:(NaN):xtic(1) notitle, \
     for [i=1:n] datafile using ($0 + off(i)):(column(2 + 3*(i-1))) \
         with boxes title word(mpms, i), \
     for [i=1:n] datafile using ($0 + off(i)):(column(2 + 3*(i-1))):(column(3 + 3*(i-1))):(column(4 + 3*(i-1))) \
         with yerrorbars lc rgb "black" pt 0 notitle, \
     datafile using ($0 - 0.45):(column(tcol)):(0.9):(0) with vectors nohead \
         lw 3 lc rgb "black" title "target"
